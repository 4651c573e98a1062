"""chainrule's small neural-network package, built on ``autograd``'s public API."""
