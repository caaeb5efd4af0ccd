"""Execution service: turns a firm quote acceptance into exactly one immutable trade."""
