"""Rate limits for the client pages, per link and per address, in the cache.

Sign-in is throttled by django-axes over the database (accounts/lockout.py); the client pages
have no account to count against, so they count requests in fixed windows in the cache: one
address may not walk many tokens (a guesser), and one link may not be hammered from many addresses.
The date-of-birth answers have their own, stricter count on the link (five wrong ones void it).
"""

from django.core.cache import cache

from audit.log import client_ip

WINDOW_SECONDS = 15 * 60
# Generous for a person on one phone (a few pages, a few typing slips), tight for a script.
PER_ADDRESS = 60
PER_LINK = 40


def _hit(key: str, limit: int) -> bool:
    """Count one request; True while within the limit."""
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count <= limit


def address_allowed(request) -> bool:
    return _hit(f"client-links:addr:{client_ip(request) or 'unknown'}", PER_ADDRESS)


def link_allowed(token_hash: str) -> bool:
    # Keyed by the hash: the raw token is never a cache key either.
    return _hit(f"client-links:link:{token_hash}", PER_LINK)
