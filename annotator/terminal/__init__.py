"""Terminal capabilities that must be settled before the app starts (bidi mode probing)."""
