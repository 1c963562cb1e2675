"""Evaluation: score a stage of the pipeline on a labelled set (one module per stage)."""
