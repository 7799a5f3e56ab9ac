"""kaproom/ui/shell"""
