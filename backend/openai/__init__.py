"""Everything OpenAI-shaped, in one package (see the modules)."""
