"""
Cross-entropy from the likelihood
=================================

placeholder
"""
print(1)
