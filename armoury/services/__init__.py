"""armoury.services"""
