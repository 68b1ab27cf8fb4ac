"""armoury.reports"""
