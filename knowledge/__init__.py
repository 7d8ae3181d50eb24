"""Knowledge side of symptom-voice: the YAML knowledge base, its loader, the matcher and replies."""
