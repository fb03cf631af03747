"""Voice calls through Twilio Programmable Voice: signed webhooks in, TwiML out.

Behind the channel port like every channel; what a call says next is decided by the service
(bot/service/voice/), this package only speaks Twilio.
"""
