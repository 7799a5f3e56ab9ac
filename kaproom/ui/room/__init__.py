"""kaproom/ui/room"""
