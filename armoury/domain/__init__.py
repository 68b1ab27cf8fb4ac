"""Domain rules that need no database: enumerations, serial numbers, labels' payloads."""
