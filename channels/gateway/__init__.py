"""The generic gateway: any system that speaks the signed JSON protocol of docs/gateway.md."""
