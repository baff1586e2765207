"""What the process needs around the rules: configuration from the environment, the Flask
extensions (mail, rate limits, CSRF), and structured logging."""
