"""Stripe Connect (direct charges): each merchant is paid into its own Stripe account.

accounts: the mode, the account a merchant's calls run on, whether it can take charges,
its status from Stripe and the Connect webhooks; onboarding: Account Links; fees: the
platform's application fee.
"""
