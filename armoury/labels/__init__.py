"""armoury.labels"""
