"""Per entrypoint: import the real deployed module and call one role the way its platform does."""
