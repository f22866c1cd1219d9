"""The question-answering agent (PydanticAI, optional extra `agent`)."""
