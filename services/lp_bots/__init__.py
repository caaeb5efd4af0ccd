"""LP bot service: simulated liquidity providers that quote RFQs and apply last look."""
