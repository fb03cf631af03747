"""SMS through Twilio: signed webhooks in, the REST API out, paced by segments.

Behind the channel port like every channel.
"""
