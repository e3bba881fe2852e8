"""Situation drills (huấn luyện theo tình huống): drills made from approved precedents or
knowledge-base clauses, delivered to cadres on a schedule, answered, and summed up by topic."""
