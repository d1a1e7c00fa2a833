"""Reading finished studies: tables, importance, noise-aware best selection."""
