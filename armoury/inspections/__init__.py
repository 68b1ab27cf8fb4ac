"""PSSM inspections without a database: checklist templates as data, answers' outcomes, scoring, the report.

The services (armoury.services.checklists, armoury.services.inspections) store and load what this package
defines; everything here is plain Python that the CLI, the window and the tests share.
"""
