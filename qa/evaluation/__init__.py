"""Evaluation: gold sets, the adversarial suite, benchmarks and reports."""
