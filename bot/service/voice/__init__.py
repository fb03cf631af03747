"""The phone line's side of the service: what a call says next (flow), voice enrolment with a
PIN (enrol), and the reviewed phone script per language (wording)."""
