"""RFQ service: request for quote from creation to trade."""
