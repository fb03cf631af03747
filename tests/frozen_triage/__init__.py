"""A frozen copy of crisis triage as it was before the speed work of issue 16 (main at afe9d40):
bot/conversation/triage.py, triage_phrases.py and text_normalize.py, unchanged but for their
imports. tests/test_triage_equivalence.py checks that today's triage gives the same result as
this copy for every input it tries. Never edit these files to make that test pass: a difference
is a change of clinical behaviour, for the rules' owner to decide, not a speed-up."""
