"""Dialogs that create and edit the depot's records. Each validates as the user types, shows what is
wrong next to the field, and writes nothing until Save (one service call, one transaction)."""
