"""The Translations page: instrument x language coverage and the bot wording's status."""
