"""Signals of the projects app.

Signing in no longer hands this browser's drafts to the account by itself (issue 12 L3: on a
shared computer they would go, unasked, into whichever account signs in next): the sign-in and
sign-up pages send the browser to ``drafts_move`` (``views.sign_in_destination``), which asks.
"""
