"""What the bot says, rendered per reader: data in, localised :class:`RichText` out.

Every user-facing sentence of the core lives in this package, so translators and
reviewers find them in one place. msgids are English with named placeholders.
"""
