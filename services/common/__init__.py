"""Small rules every capability shares: errors, text and field checks, money, paging, URLs,
random codes, and the merchant API's Idempotency-Key records."""
