"""Exports of one session (PDF, CSV, FHIR R4, JSON bundle) and the import of bundles.

Everything starts from :func:`kaproom.export.report_data.gather`, which reads the store once;
the review window and the PDF draw the same vitals chart (:mod:`kaproom.export.chart`).
"""
