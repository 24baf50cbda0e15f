"""Rendering of message text, kept apart from widgets: the incremental Markdown splitter
(`splitter`, no Qt) and Pygments highlighting for code blocks (`highlight`)."""
