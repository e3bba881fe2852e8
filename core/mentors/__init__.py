"""On-the-spot support: experienced officials volunteer as mentors for their position, and a
cadre whose question the knowledge base does not cover can ask one informally (peer advice,
clearly marked, with the formal xin ý kiến one tap away)."""
