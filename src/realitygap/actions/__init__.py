"""Actions: what changes the workspace on the user's behalf (the analyses only read).

- :mod:`realitygap.actions.cases`: open follow-up cases from the closed-loop rules;
- :mod:`realitygap.actions.text`: tag documents and store the tags; train the tagger.
"""
