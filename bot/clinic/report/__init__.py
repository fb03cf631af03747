"""The cohort report the payer asks for: pre/post change per measure, meaningful change, plots,
attendance and survey completion (DESIGN.md §8, safety-ux.md §7)."""
