"""What both kode unik searches share: the codes there are."""

# The kode unik: 1-999 as buyers know it, 1000-9999 once a price has a thousand unpaid orders.
UNIQUE_CODE_TIERS = ((1, 999), (1000, 9999))
UNIQUE_CODE_MAX = UNIQUE_CODE_TIERS[-1][1]
