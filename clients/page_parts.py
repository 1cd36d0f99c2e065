"""The pages of clients that apps above it add sections to (the mechanism is core/page_parts.py):
clients sits below plans and notes and never imports them, yet the client page shows the sessions."""

from core.page_parts import PagePart, fill, register

__all__ = ["CLIENT_DETAIL", "CLIENT_DETAIL_NOTICES", "PagePart", "fill", "register"]

# The pages that take parts, and what each calls a part's loader with (keyword arguments).
CLIENT_DETAIL = "client_detail"  # user, client, can_edit
# Notices shown at the top of the client page, above the details (e.g. an open client alert); same arguments.
CLIENT_DETAIL_NOTICES = "client_detail_notices"
