"""The domain model of a gemeente's buurtpreventie network."""
