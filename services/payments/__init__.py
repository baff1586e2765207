"""Taking money: the payment rules (rules), the invoice and booking locks (locks), attempts
against Stripe (attempts), finalisation exactly once (finalisation), refunds, Stripe's
webhook events, and the card details read off a PaymentIntent."""
