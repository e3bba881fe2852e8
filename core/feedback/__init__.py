"""Questions asked to the assistant and the askers' feedback on the cited answers."""
