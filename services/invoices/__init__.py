"""Invoices: lifecycle (create, send, close, reopen, delete), pay links and their signed
tokens, the Stax status, the merchant API's queries, and auto-expiry."""
