"""armoury.cli"""
