"""The evaluation pipeline: plan to scored episodes (evaluator, loader, scoring, records), the caches
and the machinery that makes a run fast and reproducible (threads, memory, processes, numerics).
"""
