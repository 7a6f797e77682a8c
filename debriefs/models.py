# Debriefs, review and the learning library arrive with the preparation/debrief issue.
