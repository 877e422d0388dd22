"""Referrals: intake of outside alerts, matching their subjects, session-log correlation.

The services are plain functions over a store connection, so the CLI and the web app call
the same code: ``import_referrals``, ``match_referrals``, ``rematch_open_referrals``,
``referral_report``; ``import_sessions``, ``session_flags``.
"""
