"""Bookings: creating them (records, with slot seats), the merchant API's booking admin,
the cart (line items, fees, discounts, taxes), agreements, and the summary the pay page
and the public JSON read show."""
