"""medcoder-bot: a career coach for future medical coders, on Discord and in the terminal."""

__version__ = "0.1.0"
