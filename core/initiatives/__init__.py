"""Initiatives (sáng kiến): logging, similar-initiative detection and separate rubric evaluation.

Flow (statuses in enums.InitiativeStatus; every change audited and pushed to the authors):
    service.submit_initiative            -> submitted (+ similar initiatives from any unit)
    service.start_screening (admin)      -> screening
    assignment.assign_evaluators (admin) -> under_evaluation (>= 2 conflict-free evaluators)
    scoring.submit_scores (evaluators)   -> evaluated once every assigned sheet is in
    scoring.decide (admin / council)     -> recognised | needs_info | not_accepted
    service.provide_info (author)        needs_info -> submitted
    publish.publish_good_practice        recognised -> knowledge-base guidance citing it

Workers run assignment.run_reminder_loop (or call sweep_reminders) for deadline reminders.
Scores live only in these tables; nothing in case handling reads them.
"""
