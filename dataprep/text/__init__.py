"""Text work on record bodies: markup to Markdown, normalisation, redaction, language, quality."""
