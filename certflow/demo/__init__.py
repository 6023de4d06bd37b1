"""Demo data, one module per county: Lushan's people and cases in every state, Shizong's campaign.

For trying certflow out only: the password is public.
"""
